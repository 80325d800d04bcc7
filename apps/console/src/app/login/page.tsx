import { cookies } from "next/headers";
import { redirect } from "next/navigation";
import { LoginForm } from "@/components/LoginForm";
import { sessionUser } from "@/server/request.server";

export const dynamic = "force-dynamic";

export default async function LoginPage() {
  const jar = await cookies();
  if (await sessionUser(jar.toString())) redirect("/");
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
