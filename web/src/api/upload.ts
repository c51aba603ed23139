// Artifact uploads with progress (XMLHttpRequest: `fetch` cannot report upload progress).

import { errorFromBody, ApiError } from "./client";
import { clearSession, getToken } from "./session";
import type { Artifact } from "./types";

/** The server's limit per file (`MAX_UPLOAD_BYTES`): 100 MiB. */
export const MAX_UPLOAD_BYTES = 100 * 1024 * 1024;

export interface UploadHandle {
  promise: Promise<Artifact>;
  abort: () => void;
}

/** Why a file cannot be sent, before sending it; null when it can. */
export function checkUploadSize(file: File): string | null {
  if (file.size > MAX_UPLOAD_BYTES) {
    const mb = (file.size / (1024 * 1024)).toFixed(1);
    return `${file.name} is ${mb} MB. Artifacts may be at most 100 MB each; compress or split the file.`;
  }
  return null;
}

export function uploadArtifact(
  runId: string,
  stepRowId: string,
  file: File,
  onProgress: (fraction: number) => void,
): UploadHandle {
  const xhr = new XMLHttpRequest();
  const promise = new Promise<Artifact>((resolve, reject) => {
    const tooBig = checkUploadSize(file);
    if (tooBig) {
      reject(new ApiError(413, "payload_too_large", tooBig));
      return;
    }
    const form = new FormData();
    form.append("step_id", stepRowId);
    form.append("file", file, file.name);
    xhr.open("POST", `/api/workflow-executions/${encodeURIComponent(runId)}/artifacts`);
    const token = getToken();
    if (token) xhr.setRequestHeader("Authorization", `Bearer ${token}`);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress(e.loaded / e.total);
    };
    xhr.onload = () => {
      let body: unknown = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        body = null;
      }
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(1);
        resolve((body as { data: Artifact }).data);
      } else {
        if (xhr.status === 401) clearSession();
        const err = errorFromBody(xhr.status, body);
        if (xhr.status === 413) {
          reject(new ApiError(413, err.code, `${file.name} is larger than the 100 MB the server accepts per file.`));
        } else reject(err);
      }
    };
    xhr.onerror = () => reject(new ApiError(0, "network", "The upload was interrupted: cannot reach the server."));
    xhr.onabort = () => reject(new ApiError(0, "aborted", "The upload was cancelled."));
    xhr.send(form);
  });
  return { promise, abort: () => xhr.abort() };
}
