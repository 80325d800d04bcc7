import { Templates } from "@/components/Templates";

export default function TemplatesPage() {
  return <Templates />;
}
