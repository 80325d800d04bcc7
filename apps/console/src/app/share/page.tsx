import { SharedConsole } from "@/components/SharedConsole";

export const dynamic = "force-dynamic";

// A console opened from a share link, for someone with no account: no session, no app shell.
export default function SharePage() {
  return (
    <main className="shared">
      <SharedConsole />
    </main>
  );
}
