"use client";
// Keys a browser cannot send to the guest, because the browser or the desktop around it keeps
// them (Ctrl-Alt-Del, Ctrl-Alt-F1…F12, Alt-Tab, Print Screen, the Windows key), plus sticky Ctrl
// and Alt for chords typed on the screen. A Radix dropdown menu: keyboard navigation, focus
// return and ARIA roles come from the primitive (ADR 0020).
import * as Menu from "@radix-ui/react-dropdown-menu";
import type RFB from "@novnc/novnc";
import { KEYS, functionKey, sendChord, type Key } from "./keysyms";

export interface HeldModifiers {
  ctrl: boolean;
  alt: boolean;
}

interface Props {
  rfb: () => RFB | null;
  held: HeldModifiers;
  onHeldChange: (held: HeldModifiers) => void;
}

const CHORDS: { label: string; keys: Key[] }[] = [
  { label: "Ctrl-Alt-Del", keys: [KEYS.ctrl, KEYS.alt, KEYS.del] },
  { label: "Alt-Tab", keys: [KEYS.alt, KEYS.tab] },
  { label: "Print Screen", keys: [KEYS.printScreen] },
  { label: "Windows / Super", keys: [KEYS.super] },
];
const TERMINALS = Array.from({ length: 12 }, (_, i) => i + 1);

export function SpecialKeys({ rfb, held, onHeldChange }: Props) {
  const send = (keys: Key[]) => {
    const r = rfb();
    if (!r) return;
    sendChord(r, keys);
    r.focus();
  };
  const hold = (which: keyof HeldModifiers, down: boolean) => {
    const r = rfb();
    if (!r) return;
    const key = which === "ctrl" ? KEYS.ctrl : KEYS.alt;
    r.sendKey(key.keysym, key.code, down);
    onHeldChange({ ...held, [which]: down });
  };
  return (
    <Menu.Root modal={false}>
      <Menu.Trigger className="menu-trigger">Special keys ▾</Menu.Trigger>
      <Menu.Portal>
        <Menu.Content className="menu" align="start" sideOffset={4}>
          {CHORDS.map((c) => (
            <Menu.Item key={c.label} className="menu-item" onSelect={() => send(c.keys)}>
              {c.label}
            </Menu.Item>
          ))}
          <Menu.Sub>
            <Menu.SubTrigger className="menu-item">Ctrl-Alt-F1…F12 ▸</Menu.SubTrigger>
            <Menu.Portal>
              <Menu.SubContent className="menu" sideOffset={2}>
                {TERMINALS.map((n) => (
                  <Menu.Item key={n} className="menu-item" onSelect={() => send([KEYS.ctrl, KEYS.alt, functionKey(n)])}>
                    Ctrl-Alt-F{n}
                  </Menu.Item>
                ))}
              </Menu.SubContent>
            </Menu.Portal>
          </Menu.Sub>
          <Menu.Separator className="menu-separator" />
          <Menu.Label className="menu-label">Hold for the next keys</Menu.Label>
          <Menu.CheckboxItem className="menu-item" checked={held.ctrl} onCheckedChange={(down) => hold("ctrl", down)}>
            <Menu.ItemIndicator>✓ </Menu.ItemIndicator>Ctrl
          </Menu.CheckboxItem>
          <Menu.CheckboxItem className="menu-item" checked={held.alt} onCheckedChange={(down) => hold("alt", down)}>
            <Menu.ItemIndicator>✓ </Menu.ItemIndicator>Alt
          </Menu.CheckboxItem>
        </Menu.Content>
      </Menu.Portal>
    </Menu.Root>
  );
}
