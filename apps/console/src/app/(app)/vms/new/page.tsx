import { CreateVmForm } from "@/components/CreateVmForm";

// `?template=<id>`: the Templates page's "New VM…" link, with that template chosen.
export default async function NewVmPage({ searchParams }: { searchParams: Promise<{ template?: string | string[] }> }) {
  const { template } = await searchParams;
  return <CreateVmForm templateId={typeof template === "string" ? template : ""} />;
}
