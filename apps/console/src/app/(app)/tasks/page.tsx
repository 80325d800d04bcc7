import { TasksPage } from "@/components/TasksPanel";

export default function Tasks() {
  return <TasksPage />;
}
