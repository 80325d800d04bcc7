"use client";
// The one confirmation before a destructive action (ADR 0017): an accessible Radix alert dialog
// that says what is lost, stays open while the action runs, and shows the server's refusal in place.
import * as AlertDialog from "@radix-ui/react-alert-dialog";
import { useState, type ReactElement, type ReactNode } from "react";

interface Props {
  /** The button that opens the dialog. */
  trigger: ReactElement;
  title: string;
  /** What is lost, in words. */
  children: ReactNode;
  confirmLabel: string;
  pendingLabel?: string;
  /** When set, the confirm button stays disabled until exactly this text is typed (e.g. a VM's name). */
  typeToConfirm?: string;
  /** Runs the action; the dialog closes when it resolves and shows the error when it rejects. */
  onConfirm: () => Promise<unknown>;
  onOpenChange?: (open: boolean) => void;
}

export function ConfirmDialog({ trigger, title, children, confirmLabel, pendingLabel, typeToConfirm, onConfirm, onOpenChange }: Props) {
  const [open, setOpen] = useState(false);
  const [typed, setTyped] = useState("");
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const change = (next: boolean) => {
    if (pending) return;
    setOpen(next);
    setTyped("");
    setError(null);
    onOpenChange?.(next);
  };
  const confirm = async () => {
    setPending(true);
    setError(null);
    try {
      await onConfirm();
      setPending(false);
      setOpen(false);
      onOpenChange?.(false);
    } catch (e) {
      setPending(false);
      setError(e instanceof Error ? e.message : String(e));
    }
  };
  const ready = typeToConfirm === undefined || typed === typeToConfirm;
  return (
    <AlertDialog.Root open={open} onOpenChange={change}>
      <AlertDialog.Trigger asChild>{trigger}</AlertDialog.Trigger>
      <AlertDialog.Portal>
        <AlertDialog.Overlay className="dialog-overlay" />
        <AlertDialog.Content className="dialog">
          <AlertDialog.Title>{title}</AlertDialog.Title>
          <AlertDialog.Description asChild>
            <div className="dialog-body">{children}</div>
          </AlertDialog.Description>
          {typeToConfirm !== undefined && (
            <label>
              <span>
                Type <strong className="mono">{typeToConfirm}</strong> to confirm
              </span>
              <input value={typed} onChange={(e) => setTyped(e.target.value)} autoComplete="off" spellCheck={false} />
            </label>
          )}
          {error && (
            <p role="alert" className="error">
              {error}
            </p>
          )}
          <div className="dialog-actions">
            <AlertDialog.Cancel asChild>
              <button type="button" disabled={pending}>
                Cancel
              </button>
            </AlertDialog.Cancel>
            <button type="button" className="danger" disabled={!ready || pending} aria-busy={pending} onClick={() => void confirm()}>
              {pending ? (pendingLabel ?? "Working…") : confirmLabel}
            </button>
          </div>
        </AlertDialog.Content>
      </AlertDialog.Portal>
    </AlertDialog.Root>
  );
}
