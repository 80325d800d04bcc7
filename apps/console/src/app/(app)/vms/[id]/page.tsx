import { VmDetail } from "@/components/VmDetail";

export default async function VmPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return <VmDetail vmId={id} />;
}
