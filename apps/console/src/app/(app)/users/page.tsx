import { UsersAdmin } from "@/components/UsersAdmin";
import { GroupsAdmin } from "@/components/GroupsAdmin";
import { RolesAdmin } from "@/components/RolesAdmin";

export default function UsersPage() {
  return (
    <>
      <h1>Users &amp; access</h1>
      <UsersAdmin />
      <GroupsAdmin />
      <RolesAdmin />
    </>
  );
}
