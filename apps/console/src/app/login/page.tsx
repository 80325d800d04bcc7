import { headers } from "next/headers";
import { redirect } from "next/navigation";
import { LoginForm } from "@/components/LoginForm";
import { sessionUser } from "@/server/request.server";

export const dynamic = "force-dynamic";

export default async function LoginPage() {
  if (await sessionUser(await headers())) redirect("/");
  return (
    <main className="login">
      <div className="login-card">
        <h1>Guesthouse</h1>
        <p className="muted">Sign in to manage your virtual machines.</p>
        <LoginForm />
      </div>
    </main>
  );
}
