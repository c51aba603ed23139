import { useRef, useState, type DragEvent } from "react";
import { errorMessage } from "../../api/client";
import { downloadArtifact } from "../../api/artifactFiles";
import { checkUploadSize, uploadArtifact } from "../../api/upload";
import type { Artifact } from "../../api/types";
import { formatBytes, formatRelative } from "../../lib/format";
import { IconDownload, IconUpload } from "../Icons";
import { ArtifactPreview } from "./ArtifactPreview";

interface Props {
  runId: string;
  stepRowId: string;
  artifacts: Artifact[];
  onUploaded: () => void;
}

interface Upload {
  name: string;
  progress: number;
}

/** A step's artifacts: drop or pick files to upload, preview and download them. */
export function ArtifactsPane({ runId, stepRowId, artifacts, onUploaded }: Props) {
  const [uploads, setUploads] = useState<Upload[]>([]);
  const [errors, setErrors] = useState<string[]>([]);
  const [over, setOver] = useState(false);
  const inputRef = useRef<HTMLInputElement>(null);

  async function send(files: File[]) {
    const errs: string[] = [];
    const ok = files.filter((f) => {
      const p = checkUploadSize(f);
      if (p) errs.push(p);
      return !p;
    });
    setErrors(errs);
    await Promise.all(
      ok.map(async (f, i) => {
        const key = `${f.name}#${Date.now()}#${i}`;
        setUploads((u) => [...u, { name: key, progress: 0 }]);
        try {
          await uploadArtifact(runId, stepRowId, f, (p) => setUploads((u) => u.map((x) => (x.name === key ? { ...x, progress: p } : x)))).promise;
          onUploaded();
        } catch (e) {
          setErrors((prev) => [...prev, `${f.name}: ${errorMessage(e)}`]);
        } finally {
          setUploads((u) => u.filter((x) => x.name !== key));
        }
      }),
    );
  }

  function onDrop(e: DragEvent) {
    e.preventDefault();
    setOver(false);
    const files = Array.from(e.dataTransfer.files ?? []);
    if (files.length) void send(files);
  }

  return (
    <div className="artifacts-pane">
      <div
        className={`dropzone${over ? " is-over" : ""}`}
        data-testid="artifact-dropzone"
        onDragOver={(e) => {
          e.preventDefault();
          e.dataTransfer.dropEffect = "copy";
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={onDrop}
      >
        <IconUpload width={20} height={20} />
        <div>
          <strong>Drop files here</strong> or{" "}
          <button type="button" className="link-btn" onClick={() => inputRef.current?.click()}>
            choose files
          </button>
          <div className="muted small">Up to 100 MB per file: the server refuses larger ones. Images, videos and text preview here.</div>
        </div>
        <input
          ref={inputRef}
          data-testid="artifact-file"
          type="file"
          multiple
          className="sr-only"
          aria-label="Upload artifacts"
          onChange={(e) => {
            const files = Array.from(e.target.files ?? []);
            e.target.value = "";
            if (files.length) void send(files);
          }}
        />
      </div>
      {uploads.map((u) => (
        <div key={u.name} className="upload-row">
          <span className="truncate small">Uploading {u.name.split("#")[0]}…</span>
          <progress data-testid="upload-progress" max={1} value={u.progress} aria-label={`Uploading ${u.name.split("#")[0]}`} />
          <span className="small muted">{Math.round(u.progress * 100)}%</span>
        </div>
      ))}
      {errors.length > 0 && (
        <div className="form-error" data-testid="upload-error" role="alert">
          {errors.join("\n")}
        </div>
      )}
      {artifacts.length === 0 ? (
        <p className="muted small empty-line">No artifacts on this step yet.</p>
      ) : (
        <ul className="artifact-list">
          {artifacts.map((a) => (
            <li key={a.id} className="artifact-item" data-testid="artifact-item" data-artifact-id={a.id}>
              <div className="artifact-head">
                <span className="artifact-name truncate" title={a.file_path}>
                  {a.name}
                </span>
                <span className="chip">{a.file_type}</span>
                <span className="muted small">{formatBytes(a.size_bytes)}</span>
                <span className="muted small hide-phone">{formatRelative(a.created_at)}</span>
                {a.workflow_comment_id && <span className="chip">in a comment</span>}
                <button
                  type="button"
                  className="btn btn-xs"
                  data-testid="artifact-download"
                  onClick={() => void downloadArtifact(a.id, a.name)}
                >
                  <IconDownload width={12} height={12} /> Download
                </button>
              </div>
              <ArtifactPreview artifact={a} />
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
