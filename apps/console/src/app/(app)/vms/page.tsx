import { VmList } from "@/components/VmList";

export default function VmsPage() {
  return <VmList />;
}
