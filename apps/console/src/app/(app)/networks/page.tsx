import { Networks } from "@/components/Networks";

export default function NetworksPage() {
  return <Networks />;
}
