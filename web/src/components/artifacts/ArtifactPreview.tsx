import { useEffect, useState } from "react";
import { errorMessage, isAbort } from "../../api/client";
import { useArtifactUrl } from "../../api/artifactFiles";
import { fetchArtifactText } from "../../api/endpoints";
import type { Artifact } from "../../api/types";
import { languageFor } from "../../lib/highlight";
import { CodeBlock } from "../CodeBlock";
import { isImage, isVideo } from "./ArtifactThumb";

/** Text files up to this size are shown inline. */
const TEXT_PREVIEW_BYTES = 256 * 1024;

export function isTextual(a: Artifact): boolean {
  const m = a.mime_type;
  return (
    a.file_type === "code" ||
    m.startsWith("text/") ||
    /json|xml|yaml|toml|javascript|typescript|x-sh|x-python|sql|csv/.test(m) ||
    languageFor(a.name) !== null ||
    /\.(txt|log|md|csv|env|cfg|conf)$/i.test(a.name)
  );
}

function TextPreview({ artifact }: { artifact: Artifact }) {
  const [text, setText] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const ctrl = new AbortController();
    fetchArtifactText(artifact.id, ctrl.signal)
      .then(setText)
      .catch((e: unknown) => {
        if (!isAbort(e)) setError(errorMessage(e));
      });
    return () => ctrl.abort();
  }, [artifact.id]);
  if (error) return <p className="field-error">Cannot show the file: {error}</p>;
  if (text === null) return <p className="muted small">Loading preview…</p>;
  return <CodeBlock code={text} language={languageFor(artifact.name)} testId="artifact-preview" maxHeight={360} />;
}

function MediaPreview({ artifact }: { artifact: Artifact }) {
  const { url, error } = useArtifactUrl(artifact.id);
  if (error) return <p className="form-error small" role="alert" data-testid="artifact-link-error">Cannot load the preview: {error}</p>;
  if (!url) return <p className="muted small">Loading preview…</p>;
  if (isVideo(artifact)) {
    return <video data-testid="artifact-preview" className="preview-video" src={url} controls preload="metadata" />;
  }
  return (
    <a href={url} target="_blank" rel="noreferrer" className="preview-img">
      <img data-testid="artifact-preview" src={url} alt={artifact.name} />
    </a>
  );
}

/** An image, a video, or highlighted text; nothing for other files (they download). */
export function ArtifactPreview({ artifact }: { artifact: Artifact }) {
  if (isImage(artifact) || isVideo(artifact)) return <MediaPreview artifact={artifact} />;
  if (isTextual(artifact)) {
    if (artifact.size_bytes > TEXT_PREVIEW_BYTES) return <p className="muted small">Too large to preview here; download it to read it.</p>;
    return <TextPreview artifact={artifact} />;
  }
  return null;
}
