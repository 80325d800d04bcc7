// XMLHttpRequest, because fetch() reports no upload progress.
export function uploadFile(file: File, onProgress: (fraction: number) => void): Promise<{ ok: boolean; message: string }> {
  return new Promise((resolve) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", `/api/media/upload?name=${encodeURIComponent(file.name)}`);
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
    xhr.onload = () => {
      const body = JSON.parse(xhr.responseText || "{}") as { error?: string; name?: string };
      resolve(
        xhr.status === 201
          ? { ok: true, message: `${body.name} was added to the library` }
          : { ok: false, message: body.error ?? `Upload failed (${xhr.status})` },
      );
    };
    xhr.onerror = () => resolve({ ok: false, message: "The upload was interrupted; nothing was added. Try again." });
    xhr.send(file);
  });
}
