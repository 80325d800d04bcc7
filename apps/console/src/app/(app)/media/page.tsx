import { MediaLibrary } from "@/components/MediaLibrary";

export default function MediaPage() {
  return <MediaLibrary />;
}
