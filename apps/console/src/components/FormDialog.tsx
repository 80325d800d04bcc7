"use client";
// The one dialog with a form in it (ADR 0017): a Radix dialog whose fields the caller supplies;
// it stays open while the submit runs and shows a validation or server error in place.
import * as Dialog from "@radix-ui/react-dialog";
import { useState, type FormEvent, type ReactElement, type ReactNode } from "react";

interface Props {
  /** The button that opens the dialog. */
  trigger: ReactElement;
  title: string;
  description: ReactNode;
  /** The form's fields. */
  children: ReactNode;
  submitLabel: string;
  pendingLabel?: string;
  /** Runs on submit; the dialog closes when it resolves and shows the error's message when it rejects. */
  onSubmit: () => Promise<unknown>;
  /** Called on opening (to reset the fields) and on closing. */
  onOpenChange?: (open: boolean) => void;
}

export function FormDialog({ trigger, title, description, children, submitLabel, pendingLabel, onSubmit, onOpenChange }: Props) {
  const [open, setOpen] = useState(false);
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const change = (next: boolean) => {
    if (pending) return;
    setOpen(next);
    setError(null);
    onOpenChange?.(next);
  };
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setPending(true);
    setError(null);
    try {
      await onSubmit();
      setPending(false);
      setOpen(false);
      onOpenChange?.(false);
    } catch (err) {
      setPending(false);
      setError(err instanceof Error ? err.message : String(err));
    }
  };
  return (
    <Dialog.Root open={open} onOpenChange={change}>
      <Dialog.Trigger asChild>{trigger}</Dialog.Trigger>
      <Dialog.Portal>
        <Dialog.Overlay className="dialog-overlay" />
        <Dialog.Content className="dialog">
          <Dialog.Title>{title}</Dialog.Title>
          <Dialog.Description asChild>
            <div className="dialog-body">{description}</div>
          </Dialog.Description>
          <form className="stack" onSubmit={(e) => void submit(e)} onChange={() => setError(null)} noValidate>
            {children}
            {error && (
              <p role="alert" className="error">
                {error}
              </p>
            )}
            <div className="dialog-actions">
              <Dialog.Close asChild>
                <button type="button" disabled={pending}>
                  Cancel
                </button>
              </Dialog.Close>
              <button type="submit" className="primary" disabled={pending} aria-busy={pending}>
                {pending ? (pendingLabel ?? "Saving…") : submitLabel}
              </button>
            </div>
          </form>
        </Dialog.Content>
      </Dialog.Portal>
    </Dialog.Root>
  );
}
