//! Module resolution and loading for workflow files (ARCHITECTURE §2).
//!
//! `@repo/workflow-engine` (or `workflow-engine`) is the embedded runtime; `zod` is the
//! project's own `node_modules/zod` when installed, else the embedded subset; relative and
//! `file:` imports load from disk (`./x` and `./x.js` find `x.ts` as `tsc` does), `.ts`
//! transpiled by deno_ast with its source map kept so errors point at the user's line;
//! other bare specifiers come from `node_modules`.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use deno_ast::{MediaType, ParseParams, SourceMapOption};
use deno_core::{
    ModuleLoadOptions, ModuleLoadReferrer, ModuleLoadResponse, ModuleLoader, ModuleSource, ModuleSourceCode,
    ModuleSpecifier, ModuleType, ResolutionKind,
};
use deno_error::JsErrorBox;

use super::{locate, resolve};
use crate::definition::Location;

/// The scheme of the embedded runtime's modules.
pub const RUNTIME_SCHEME: &str = "workflow-engine";

/// The runtime files, embedded so the binary needs nothing beside it.
const RUNTIME_FILES: &[(&str, &str)] = &[
    (
        "workflow-engine.js",
        include_str!("../../runtime-js/workflow-engine.js"),
    ),
    ("harness.js", include_str!("../../runtime-js/harness.js")),
    ("steps.js", include_str!("../../runtime-js/steps.js")),
    ("console.js", include_str!("../../runtime-js/console.js")),
    ("step-config.js", include_str!("../../runtime-js/step-config.js")),
    ("schema.js", include_str!("../../runtime-js/schema.js")),
    ("zod.js", include_str!("../../runtime-js/zod.js")),
];

pub fn runtime_url(file: &str) -> ModuleSpecifier {
    ModuleSpecifier::parse(&format!("{RUNTIME_SCHEME}:///{file}")).expect("valid runtime url")
}

/// Loads workflow modules; remembers source maps and the first located load error.
#[derive(Default)]
pub struct WorkflowLoader {
    /// Set when the engine says which workflow to load (the runtime may start before that).
    pub project: RefCell<PathBuf>,
    pub source_maps: Rc<RefCell<HashMap<String, Vec<u8>>>>,
    /// A transpile error with its place in the user's file, for a precise report.
    pub load_error: Rc<RefCell<Option<(String, Location)>>>,
    /// The project's own modules loaded so far (not packages), in load order, each hashed
    /// as read: the run keeps them (`definition::source`).
    pub sources: RefCell<Vec<crate::definition::source::SourceFile>>,
}

impl WorkflowLoader {
    fn resolve_bare(&self, specifier: &str, referrer: &str) -> Result<ModuleSpecifier, String> {
        match specifier {
            "@repo/workflow-engine" | "workflow-engine" => return Ok(runtime_url("workflow-engine.js")),
            _ => {}
        }
        let start = ModuleSpecifier::parse(referrer)
            .ok()
            .and_then(|u| u.to_file_path().ok())
            .and_then(|p| p.parent().map(Path::to_path_buf))
            .unwrap_or_else(|| self.project.borrow().clone());
        if let Some(path) = node_modules::resolve(specifier, &start, &self.project.borrow())? {
            return ModuleSpecifier::from_file_path(&path).map_err(|_| format!("bad path {}", path.display()));
        }
        if specifier == "zod" {
            return Ok(runtime_url("zod.js"));
        }
        Err(format!(
            "cannot find module \"{specifier}\" imported from {referrer}: it is not a relative path, \
             not @repo/workflow-engine or zod, and no node_modules folder from {} up has it \
             (run npm install in the project)",
            start.display()
        ))
    }

    fn load_file(&self, url: &ModuleSpecifier) -> Result<ModuleSource, JsErrorBox> {
        if url.scheme() == RUNTIME_SCHEME {
            let name = url.path().trim_start_matches('/');
            let code = RUNTIME_FILES
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, c)| *c)
                .ok_or_else(|| JsErrorBox::generic(format!("no runtime module {url}")))?;
            return Ok(ModuleSource::new(
                ModuleType::JavaScript,
                ModuleSourceCode::String(deno_core::FastString::from_static(code)),
                url,
                None,
            ));
        }
        let path = url.to_file_path().map_err(|_| {
            JsErrorBox::generic(format!("cannot load {url}: only files and the runtime can be imported"))
        })?;
        let code = std::fs::read_to_string(&path)
            .map_err(|e| JsErrorBox::generic(format!("cannot read {}: {e}", path.display())))?;
        if crate::definition::source::is_local_module(&path) {
            self.sources.borrow_mut().push(crate::definition::source::SourceFile {
                path: path.clone(),
                sha256: crate::definition::source::sha256_hex(code.as_bytes()),
            });
        }
        let media_type = MediaType::from_path(&path);
        let code = match media_type {
            MediaType::JavaScript | MediaType::Mjs => code,
            MediaType::Json => {
                return Ok(ModuleSource::new(
                    ModuleType::Json,
                    ModuleSourceCode::String(code.into()),
                    url,
                    None,
                ))
            }
            MediaType::TypeScript | MediaType::Mts | MediaType::Tsx | MediaType::Jsx => {
                self.transpile(url, &path, code, media_type)?
            }
            MediaType::Cjs | MediaType::Cts => {
                return Err(JsErrorBox::generic(format!(
                    "{}: CommonJS modules cannot be imported; use an ES module",
                    path.display()
                )))
            }
            _ => {
                return Err(JsErrorBox::generic(format!(
                    "{}: unsupported file type (expected .ts, .mts, .js, .mjs or .json)",
                    path.display()
                )))
            }
        };
        Ok(ModuleSource::new(
            ModuleType::JavaScript,
            ModuleSourceCode::String(code.into()),
            url,
            None,
        ))
    }

    fn transpile(
        &self,
        url: &ModuleSpecifier,
        path: &Path,
        code: String,
        media_type: MediaType,
    ) -> Result<String, JsErrorBox> {
        let located = |diag: &deno_ast::ParseDiagnostic| {
            let pos = diag.display_position();
            let location = Location {
                file: path.to_path_buf(),
                line: pos.line_number,
                column: pos.column_number,
            };
            let message = diag.kind().msg().to_string();
            *self.load_error.borrow_mut() = Some((message.clone(), location.clone()));
            JsErrorBox::new("SyntaxError", format!("{location}: {message}"))
        };
        let parsed = deno_ast::parse_module(ParseParams {
            specifier: url.clone(),
            text: code.into(),
            media_type,
            capture_tokens: false,
            scope_analysis: false,
            maybe_syntax: None,
        })
        .map_err(|d| located(&d))?;
        let out = parsed
            .transpile(
                &deno_ast::TranspileOptions {
                    imports_not_used_as_values: deno_ast::ImportsNotUsedAsValues::Remove,
                    ..Default::default()
                },
                &deno_ast::TranspileModuleOptions { module_kind: None },
                &deno_ast::EmitOptions {
                    source_map: SourceMapOption::Separate,
                    inline_sources: false,
                    ..Default::default()
                },
            )
            .map_err(|e| match &e {
                deno_ast::TranspileError::ParseErrors(errors) if !errors.0.is_empty() => located(&errors.0[0]),
                _ => JsErrorBox::generic(format!("{}: {e}", path.display())),
            })?
            .into_source();
        if let Some(map) = out.source_map {
            self.source_maps.borrow_mut().insert(url.to_string(), map.into_bytes());
        }
        Ok(out.text)
    }
}

impl WorkflowLoader {
    fn resolve_specifier(&self, specifier: &str, referrer: &str) -> Result<ModuleSpecifier, String> {
        let relative = specifier.starts_with("./") || specifier.starts_with("../") || specifier.starts_with('/');
        if !relative && !deno_core::specifier_has_uri_scheme(specifier) {
            return self.resolve_bare(specifier, referrer);
        }
        if let Ok(url) = ModuleSpecifier::parse(specifier) {
            if url.scheme() != "file" && url.scheme() != RUNTIME_SCHEME {
                return Err(format!(
                    "cannot import \"{specifier}\" from {referrer}: only relative paths, file: URLs and packages can be imported"
                ));
            }
        }
        let url = deno_core::resolve_import(specifier, referrer).map_err(|e| e.to_string())?;
        // `to_file_path` takes any scheme's path: the runtime's own modules are not files.
        let Some(path) = url.to_file_path().ok().filter(|_| url.scheme() == "file") else {
            return Ok(url);
        };
        let found = resolve::relative_file(&path)
            .map_err(|e| format!("cannot find module \"{specifier}\" imported from {referrer}: {e}"))?;
        ModuleSpecifier::from_file_path(&found).map_err(|()| format!("bad path {}", found.display()))
    }

    /// Keeps the place of a failed import, the first one, for the load error's location.
    fn record_import_error(&self, message: &str, specifier: &str, referrer: &str) {
        let Some(file) = ModuleSpecifier::parse(referrer)
            .ok()
            .filter(|u| u.scheme() == "file")
            .and_then(|u| u.to_file_path().ok())
        else {
            return;
        };
        let mut slot = self.load_error.borrow_mut();
        if slot.is_none() {
            if let Some(location) = locate::import_location(&file, specifier) {
                *slot = Some((message.to_string(), location));
            }
        }
    }
}

impl ModuleLoader for WorkflowLoader {
    fn resolve(&self, specifier: &str, referrer: &str, _kind: ResolutionKind) -> Result<ModuleSpecifier, JsErrorBox> {
        self.resolve_specifier(specifier, referrer).map_err(|message| {
            self.record_import_error(&message, specifier, referrer);
            JsErrorBox::generic(message)
        })
    }

    fn load(
        &self,
        url: &ModuleSpecifier,
        _referrer: Option<&ModuleLoadReferrer>,
        _options: ModuleLoadOptions,
    ) -> ModuleLoadResponse {
        ModuleLoadResponse::Sync(self.load_file(url))
    }

    fn get_source_map(&self, file_name: &str) -> Option<std::borrow::Cow<'_, [u8]>> {
        self.source_maps.borrow().get(file_name).map(|v| v.clone().into())
    }
}

/// Node's package lookup, for the ES module packages a workflow may import.
mod node_modules {
    use std::path::{Path, PathBuf};

    use serde_json::Value;

    /// `pkg` or `pkg/sub/path` (scoped: `@scope/pkg/...`), found in the nearest
    /// `node_modules` from `start` up to the filesystem root.
    pub fn resolve(specifier: &str, start: &Path, project: &Path) -> Result<Option<PathBuf>, String> {
        let (name, sub) = split(specifier);
        let mut dirs: Vec<&Path> = start.ancestors().collect();
        if !start.starts_with(project) {
            dirs.extend(project.ancestors());
        }
        for dir in dirs {
            let pkg_dir = dir.join("node_modules").join(name);
            if pkg_dir.is_dir() {
                return entry(&pkg_dir, sub, specifier).map(Some);
            }
        }
        Ok(None)
    }

    fn split(specifier: &str) -> (&str, &str) {
        let mut parts = specifier.splitn(if specifier.starts_with('@') { 3 } else { 2 }, '/');
        let first = parts.next().unwrap_or_default();
        let name_len = if specifier.starts_with('@') {
            first.len() + 1 + parts.next().map(str::len).unwrap_or(0)
        } else {
            first.len()
        };
        let name = &specifier[..name_len.min(specifier.len())];
        let sub = specifier[name.len()..].trim_start_matches('/');
        (name, sub)
    }

    fn entry(pkg_dir: &Path, sub: &str, specifier: &str) -> Result<PathBuf, String> {
        let manifest: Value = std::fs::read_to_string(pkg_dir.join("package.json"))
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or(Value::Null);
        let key = if sub.is_empty() {
            ".".to_string()
        } else {
            format!("./{sub}")
        };
        let target = match manifest.get("exports") {
            Some(Value::String(s)) if key == "." => Some(s.clone()),
            Some(Value::Object(map)) if map.keys().all(|k| k.starts_with('.')) => map.get(&key).and_then(condition),
            Some(v @ Value::Object(_)) if key == "." => condition(v),
            _ => None,
        };
        let target = target.or_else(|| {
            if !sub.is_empty() {
                return Some(sub.to_string());
            }
            ["module", "main"]
                .iter()
                .find_map(|k| manifest.get(*k).and_then(Value::as_str).map(str::to_string))
        });
        let path = pkg_dir.join(target.unwrap_or_else(|| "index.js".into()));
        for candidate in [
            path.clone(),
            path.with_extension("js"),
            path.with_extension("mjs"),
            path.join("index.js"),
        ] {
            if candidate.is_file() {
                return Ok(candidate);
            }
        }
        Err(format!(
            "package \"{specifier}\" in {} has no ES module entry at {}",
            pkg_dir.display(),
            path.display()
        ))
    }

    /// Picks the ES module branch of a conditional export.
    fn condition(v: &Value) -> Option<String> {
        match v {
            Value::String(s) => Some(s.clone()),
            Value::Object(map) => ["import", "module", "default"]
                .iter()
                .find_map(|k| map.get(*k).and_then(condition)),
            Value::Array(items) => items.iter().find_map(condition),
            _ => None,
        }
    }
}
