import { artifactUrl } from "../../api/endpoints";
import type { Artifact } from "../../api/types";
import { formatBytes } from "../../lib/format";
import { IconDownload, IconFile } from "../Icons";

export function isImage(a: Artifact): boolean {
  return a.mime_type.startsWith("image/") || a.file_type === "image";
}

export function isVideo(a: Artifact): boolean {
  return a.mime_type.startsWith("video/") || a.file_type === "video";
}

/** A compact artifact: image thumbnail or file icon, name, size, download. */
export function ArtifactThumb({ artifact, onDetach, detaching }: { artifact: Artifact; onDetach?: () => void; detaching?: boolean }) {
  const url = artifactUrl(artifact.id);
  return (
    <div className="artifact-thumb" data-testid="comment-artifact" data-artifact-id={artifact.id}>
      {isImage(artifact) ? (
        <a href={url} target="_blank" rel="noreferrer" className="thumb-img" aria-label={`Open ${artifact.name}`}>
          <img data-testid="artifact-preview" src={url} alt={artifact.name} loading="lazy" />
        </a>
      ) : (
        <span className="thumb-icon" aria-hidden="true">
          <IconFile />
        </span>
      )}
      <span className="thumb-body">
        <span className="thumb-name truncate" title={artifact.name}>
          {artifact.name}
        </span>
        <span className="muted small">{formatBytes(artifact.size_bytes)}</span>
      </span>
      <a className="icon-btn" href={url} download={artifact.name} aria-label={`Download ${artifact.name}`} title="Download">
        <IconDownload width={14} height={14} />
      </a>
      {onDetach && (
        <button
          type="button"
          className="btn btn-xs btn-ghost"
          data-testid="comment-detach"
          onClick={onDetach}
          disabled={detaching}
          aria-label={`Detach ${artifact.name} from this comment`}
        >
          {detaching ? "Detaching…" : "Detach"}
        </button>
      )}
    </div>
  );
}
