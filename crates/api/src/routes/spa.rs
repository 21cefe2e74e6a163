//! The built SPA: loaded into memory once (a few hundred KB), pre-compressed, served with
//! long-lived caching for trunk's hashed assets and `no-cache` for `index.html`. Unknown
//! paths get `index.html` so deep links work.
use std::collections::HashMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use base64::Engine as _;
use sha2::Digest as _;

struct Asset {
    body: web::Bytes,
    gzipped: Option<web::Bytes>,
    content_type: String,
    immutable: bool,
}

/// The SPA's files and the Content-Security-Policy its `index.html` needs.
pub struct StaticAssets {
    files: HashMap<String, Asset>,
    csp: String,
    source: PathBuf,
}

const FALLBACK_INDEX: &str = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>registry-gui</title></head>\
<body><h1>registry-gui</h1><p>The web app has not been built. Run <code>make run</code>, or set \
<code>STATIC_DIR</code> to trunk's <code>dist/</code> folder. The JSON API is available under <code>/api</code>.</p></body></html>";

impl StaticAssets {
    /// Reads every file below `dir` (blocking: call from `spawn_blocking`). A missing folder
    /// gives an explanatory page instead of the app.
    pub fn load(dir: &Path) -> std::io::Result<Self> {
        let mut files = HashMap::new();
        if dir.join("index.html").is_file() {
            collect(dir, dir, &mut files)?;
            let index = String::from_utf8_lossy(&files["index.html"].body).into_owned();
            for (name, asset) in files.iter_mut() {
                asset.immutable = name != "index.html" && is_hashed_output(name, &index);
            }
        } else {
            tracing::warn!(dir = %dir.display(), "STATIC_DIR has no index.html: serving a placeholder page");
            files.insert(
                "index.html".into(),
                asset("index.html", FALLBACK_INDEX.as_bytes().to_vec()),
            );
        }
        let csp = content_security_policy(&files["index.html"].body);
        Ok(Self {
            files,
            csp,
            source: dir.to_path_buf(),
        })
    }

    pub fn source(&self) -> &Path {
        &self.source
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    fn respond(&self, req: &HttpRequest, key: &str, asset: &Asset) -> HttpResponse {
        let mut res = HttpResponse::Ok();
        res.insert_header((header::CONTENT_TYPE, asset.content_type.clone()));
        res.insert_header((header::VARY, "Accept-Encoding"));
        if asset.immutable {
            res.insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"));
        } else {
            res.insert_header((header::CACHE_CONTROL, "no-cache"));
        }
        if key == "index.html" {
            res.insert_header(("Content-Security-Policy", self.csp.clone()));
        }
        let accepts_gzip = req
            .headers()
            .get(header::ACCEPT_ENCODING)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.split(',').any(|e| e.trim().starts_with("gzip")));
        match (&asset.gzipped, accepts_gzip) {
            (Some(gz), true) => {
                res.insert_header((header::CONTENT_ENCODING, "gzip"));
                res.body(gz.clone())
            }
            // `identity` stops the compression middleware from compressing it again.
            _ => {
                res.insert_header((header::CONTENT_ENCODING, "identity"));
                res.body(asset.body.clone())
            }
        }
    }
}

fn collect(root: &Path, dir: &Path, files: &mut HashMap<String, Asset>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let kind = entry.file_type()?;
        if kind.is_dir() {
            collect(root, &path, files)?;
        } else if kind.is_file() {
            let rel = path
                .strip_prefix(root)
                .unwrap_or(&path)
                .to_string_lossy()
                .replace('\\', "/");
            let body = std::fs::read(&path)?;
            files.insert(rel.clone(), asset(&rel, body));
        }
    }
    Ok(())
}

fn asset(name: &str, body: Vec<u8>) -> Asset {
    let mime = mime_guess::from_path(name).first_or_octet_stream();
    let content_type =
        if mime.type_() == "text" || mime.subtype() == "javascript" || mime.subtype() == "json" {
            format!("{mime}; charset=utf-8")
        } else {
            mime.to_string()
        };
    let compressible = body.len() > 512
        && (mime.type_() == "text"
            || ["javascript", "json", "wasm", "svg+xml"].contains(&mime.subtype().as_str()));
    let gzipped = compressible.then(|| gzip(&body)).flatten();
    Asset {
        // Decided once every file is read (see `is_hashed_output`).
        immutable: false,
        body: body.into(),
        gzipped,
        content_type,
    }
}

fn gzip(body: &[u8]) -> Option<web::Bytes> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(body).ok()?;
    encoder.finish().ok().map(Into::into)
}

/// Whether `name` is a build output whose content never changes under that name: `index.html`
/// references it and its name carries a content hash (`name-<hex>.ext`, `_bg.wasm` too). trunk
/// prints the hash as a number in hex, so it has 16 digits only most of the time (a leading zero
/// is dropped): at least 8 hex digits count.
fn is_hashed_output(name: &str, index_html: &str) -> bool {
    let file = name.rsplit('/').next().unwrap_or(name);
    let stem = file.split('.').next().unwrap_or(file);
    let stem = stem.strip_suffix("_bg").unwrap_or(stem);
    let looks_hashed = stem
        .rsplit_once('-')
        .is_some_and(|(_, hash)| hash.len() >= 8 && hash.bytes().all(|b| b.is_ascii_hexdigit()));
    looks_hashed && index_html.contains(file)
}

/// A CSP for the app page that allows its own inline loader script by hash and nothing else.
fn content_security_policy(index_html: &[u8]) -> String {
    let html = String::from_utf8_lossy(index_html);
    let mut hashes = String::new();
    for script in inline_scripts(&html) {
        let digest = sha2::Sha256::digest(script.as_bytes());
        hashes.push_str(&format!(
            " 'sha256-{}'",
            base64::engine::general_purpose::STANDARD.encode(digest)
        ));
    }
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'{hashes}; style-src 'self' 'unsafe-inline'; \
         img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; \
         form-action 'self'; frame-ancestors 'none'"
    )
}

/// The bodies of `<script>` elements without `src`.
fn inline_scripts(html: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<script") {
        let after = &rest[start..];
        let Some(tag_end) = after.find('>') else {
            break;
        };
        let tag = &after[..tag_end];
        let body_start = tag_end + 1;
        let Some(close) = after[body_start..].find("</script>") else {
            break;
        };
        if !tag.contains(" src=") {
            out.push(&after[body_start..body_start + close]);
        }
        rest = &after[body_start + close..];
    }
    out
}

/// GET/HEAD of anything outside `/api`: a file of the SPA, else `index.html`.
pub async fn serve(assets: web::Data<Arc<StaticAssets>>, req: HttpRequest) -> HttpResponse {
    let path = req.path().trim_start_matches('/');
    let key = if path.is_empty() { "index.html" } else { path };
    let key = if key.split('/').any(|seg| seg == ".." || seg == ".") {
        "index.html"
    } else {
        key
    };
    match assets.files.get(key) {
        Some(asset) => assets.respond(&req, key, asset),
        None => {
            let index = &assets.files["index.html"];
            assets.respond(&req, "index.html", index)
        }
    }
}

/// The default service: the SPA for GET and HEAD, a JSON 405 otherwise.
pub async fn serve_or_refuse(
    assets: web::Data<Arc<StaticAssets>>,
    req: HttpRequest,
) -> Result<HttpResponse, crate::error::AppError> {
    use actix_web::http::Method;
    if req.method() == Method::GET || req.method() == Method::HEAD {
        Ok(serve(assets, req).await)
    } else {
        let allowed = super::allowed_methods(req.path());
        let allow = if allowed.is_empty() {
            "GET, HEAD".to_string()
        } else {
            allowed.join(", ")
        };
        Err(crate::error::AppError::MethodNotAllowed {
            message: format!("{} is not allowed here; use {allow}", req.method()),
            allow,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trunk_hashed_names_that_index_html_references_are_recognised() {
        let index = r#"<link rel="stylesheet" href="/style-0123456789abcdef.css">
            <link rel="preload" href="/web-8e25beca996f911_bg.wasm">
            <script type="module">import init from '/web-8e25beca996f911.js';
            init({ module_or_path: '/web-8e25beca996f911_bg.wasm' });</script>
            <link rel="icon" href="/favicon-5f0e9c1b2a3d4e5f.svg">"#;
        // 15 hex digits: trunk drops a leading zero of its hash.
        assert!(is_hashed_output("web-8e25beca996f911.js", index));
        assert!(is_hashed_output("web-8e25beca996f911_bg.wasm", index));
        assert!(is_hashed_output("style-0123456789abcdef.css", index));
        assert!(is_hashed_output("favicon-5f0e9c1b2a3d4e5f.svg", index));
        // Not referenced, or no hash in the name.
        assert!(!is_hashed_output("web-5f0e9c1b2a3d4e5f.js", index));
        assert!(!is_hashed_output("index.html", index));
        assert!(!is_hashed_output("favicon.svg", "favicon.svg"));
        assert!(!is_hashed_output("my-file.js", "my-file.js"));
    }

    #[test]
    fn a_built_folder_serves_referenced_hashed_assets_as_immutable() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("index.html"),
            "<script type=module>import init from '/web-8e25beca996f911.js';</script>",
        )
        .unwrap();
        std::fs::write(dir.path().join("web-8e25beca996f911.js"), "x").unwrap();
        std::fs::write(dir.path().join("robots.txt"), "x").unwrap();
        let assets = StaticAssets::load(dir.path()).unwrap();
        assert!(assets.files["web-8e25beca996f911.js"].immutable);
        assert!(!assets.files["robots.txt"].immutable);
        assert!(!assets.files["index.html"].immutable);
    }

    #[test]
    fn inline_loader_scripts_are_allowed_by_hash() {
        let html = r#"<html><script type="module">import init from '/web.js';init();</script><script src="/x.js"></script></html>"#;
        assert_eq!(
            inline_scripts(html),
            vec!["import init from '/web.js';init();"]
        );
        let csp = content_security_policy(html.as_bytes());
        assert!(csp.contains("'sha256-"));
        assert!(csp.contains("'wasm-unsafe-eval'"));
        assert!(csp.contains("frame-ancestors 'none'"));
    }
}
