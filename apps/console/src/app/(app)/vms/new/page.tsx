import { CreateVmForm } from "@/components/CreateVmForm";

export default function NewVmPage() {
  return <CreateVmForm />;
}
