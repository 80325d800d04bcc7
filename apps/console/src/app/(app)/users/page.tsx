import { UsersAdmin } from "@/components/UsersAdmin";
import { GroupsAdmin } from "@/components/GroupsAdmin";

export default function UsersPage() {
  return (
    <>
      <h1>Users &amp; access</h1>
      <UsersAdmin />
      <GroupsAdmin />
    </>
  );
}
