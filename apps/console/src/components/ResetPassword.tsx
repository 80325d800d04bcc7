"use client";
// An administrator sets a new password for someone: typed twice into password fields (never shown
// in clear), checked against the same rule the server applies, and the user's sessions end.
import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import { PasswordSchema } from "@guesthouse/shared/console-api";
import { useTRPC } from "@/trpc/react";
import { FormDialog } from "./FormDialog";

export function ResetPassword({ userId, email, onDone }: { userId: string; email: string; onDone: () => void }) {
  const trpc = useTRPC();
  const reset = useMutation(trpc.users.resetPassword.mutationOptions({ onSuccess: onDone }));
  const [password, setPassword] = useState("");
  const [again, setAgain] = useState("");
  const submit = async () => {
    const parsed = PasswordSchema.safeParse(password);
    if (!parsed.success) throw new Error(parsed.error.issues[0]?.message ?? "Check the password");
    if (again !== password) throw new Error("The two passwords differ");
    await reset.mutateAsync({ userId, password: parsed.data });
  };
  return (
    <FormDialog
      trigger={<button type="button">Reset password</button>}
      title={`Reset the password of ${email}`}
      description="They are signed out everywhere and sign in with the new password. Tell it to them over a channel you trust."
      submitLabel="Set password"
      pendingLabel="Setting…"
      onSubmit={submit}
      onOpenChange={() => {
        setPassword("");
        setAgain("");
      }}
    >
      <label>
        New password
        <input
          type="password"
          autoComplete="new-password"
          value={password}
          minLength={PasswordSchema.minLength ?? undefined}
          onChange={(e) => setPassword(e.target.value)}
          aria-describedby="reset-password-rule"
        />
      </label>
      <span id="reset-password-rule" className="hint">
        At least {PasswordSchema.minLength} characters.
      </span>
      <label>
        New password again
        <input type="password" autoComplete="new-password" value={again} onChange={(e) => setAgain(e.target.value)} />
      </label>
    </FormDialog>
  );
}
