import { Hosts } from "@/components/Hosts";

export default function HostsPage() {
  return <Hosts />;
}
