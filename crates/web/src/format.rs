//! How numbers, times, digests and image metadata are written on screen.
use std::sync::LazyLock;
use std::time::Duration;

use leptos::prelude::*;

/// Sizes in decimal units, like the `docker` CLI prints them.
pub fn size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else if value < 10.0 {
        format!("{value:.2} {}", UNITS[unit])
    } else if value < 100.0 {
        format!("{value:.1} {}", UNITS[unit])
    } else {
        format!("{value:.0} {}", UNITS[unit])
    }
}

/// `1234567` → `1,234,567`.
pub fn count(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `n thing` / `n things`.
pub fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{} {}", count(n), if n == 1 { one } else { many })
}

/// Milliseconds since the epoch of an RFC 3339 time, if it parses.
pub fn timestamp_ms(rfc3339: &str) -> Option<f64> {
    let ms = js_sys::Date::parse(rfc3339);
    (!ms.is_nan()).then_some(ms)
}

/// The time in the user's locale and time zone.
pub fn absolute_time(rfc3339: &str) -> String {
    match timestamp_ms(rfc3339) {
        Some(ms) => String::from(
            js_sys::Date::new(&ms.into())
                .to_locale_string("default", &wasm_bindgen::JsValue::UNDEFINED),
        ),
        None => rfc3339.to_string(),
    }
}

/// A minute-resolution clock: relative times re-render as it ticks.
static NOW: LazyLock<ArcRwSignal<f64>> = LazyLock::new(|| ArcRwSignal::new(js_sys::Date::now()));

/// Starts the clock behind [`relative_time`]. Called once at start-up.
pub fn start_clock() {
    set_interval(|| NOW.set(js_sys::Date::now()), Duration::from_secs(30));
}

/// "3 hours ago", "in 2 days"; reactive on the clock.
pub fn relative_time(rfc3339: &str) -> String {
    let Some(ms) = timestamp_ms(rfc3339) else {
        return rfc3339.to_string();
    };
    let now = NOW.get();
    let diff = (now - ms) / 1000.0;
    let (future, secs) = if diff < 0.0 {
        (true, -diff)
    } else {
        (false, diff)
    };
    // The shared clock ticks every 30 s, so a fresh timestamp can look slightly in the future.
    let (n, unit) = if secs < 45.0 {
        return "just now".into();
    } else if secs < 3600.0 {
        ((secs / 60.0).round().max(1.0), "minute")
    } else if secs < 86_400.0 {
        ((secs / 3600.0).round(), "hour")
    } else if secs < 86_400.0 * 30.0 {
        ((secs / 86_400.0).round(), "day")
    } else if secs < 86_400.0 * 365.0 {
        ((secs / (86_400.0 * 30.44)).round().max(1.0), "month")
    } else {
        ((secs / (86_400.0 * 365.25)).round().max(1.0), "year")
    };
    let n = n as u64;
    let unit = if n == 1 {
        unit.to_string()
    } else {
        format!("{unit}s")
    };
    if future {
        format!("in {n} {unit}")
    } else {
        format!("{n} {unit} ago")
    }
}

/// `sha256:0123456789ab…` → `0123456789ab` (the 12 characters `docker images` shows).
pub fn short_digest(digest: &str) -> String {
    let hex = digest.split_once(':').map_or(digest, |(_, h)| h);
    hex.chars().take(12).collect()
}

pub fn platform(os: &str, architecture: &str, variant: Option<&str>) -> String {
    match variant {
        Some(v) if !v.is_empty() => format!("{os}/{architecture}/{v}"),
        _ => format!("{os}/{architecture}"),
    }
}

/// A short, readable name for a manifest or layer media type.
pub fn media_type(media_type: &str) -> String {
    match media_type {
        "application/vnd.oci.image.index.v1+json" => "OCI index".into(),
        "application/vnd.oci.image.manifest.v1+json" => "OCI image".into(),
        "application/vnd.docker.distribution.manifest.list.v2+json" => {
            "Docker manifest list".into()
        }
        "application/vnd.docker.distribution.manifest.v2+json" => "Docker image (schema 2)".into(),
        "application/vnd.docker.distribution.manifest.v1+json"
        | "application/vnd.docker.distribution.manifest.v1+prettyjws" => "Docker schema 1".into(),
        "application/vnd.docker.image.rootfs.diff.tar.gzip" => "tar+gzip (Docker)".into(),
        "application/vnd.oci.image.layer.v1.tar+gzip" => "tar+gzip".into(),
        "application/vnd.oci.image.layer.v1.tar+zstd" => "tar+zstd".into(),
        "application/vnd.oci.image.layer.v1.tar" => "tar".into(),
        other => other
            .rsplit('/')
            .next()
            .unwrap_or(other)
            .trim_start_matches("vnd.")
            .to_string(),
    }
}

/// One history entry as the Dockerfile line that made it.
///
/// Classic builders record `/bin/sh -c #(nop)  CMD ["sh"]` for metadata steps and
/// `/bin/sh -c apt-get …` for `RUN`; BuildKit records `RUN /bin/sh -c … # buildkit`.
pub fn dockerfile_line(created_by: &str) -> String {
    let line = created_by.trim();
    let line = line.strip_suffix("# buildkit").unwrap_or(line).trim_end();
    if let Some(rest) = line.strip_prefix("RUN /bin/sh -c ") {
        return format!("RUN {}", rest.trim_start());
    }
    for shell in ["/bin/sh -c ", "|1 /bin/sh -c ", "cmd /S /C "] {
        if let Some(rest) = line.strip_prefix(shell) {
            let rest = rest.trim_start();
            return match rest.strip_prefix("#(nop)") {
                Some(instruction) => instruction.trim().to_string(),
                None => format!("RUN {rest}"),
            };
        }
    }
    line.to_string()
}

/// A JSON-ish array of strings for `CMD` / `ENTRYPOINT`.
pub fn exec_form(args: &[String]) -> String {
    serde_json::to_string(args).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_use_decimal_units() {
        assert_eq!(size(512), "512 B");
        assert_eq!(size(1_500), "1.50 kB");
        assert_eq!(size(27_800_000), "27.8 MB");
        assert_eq!(size(312_000_000), "312 MB");
    }

    #[test]
    fn counts_have_thousands_separators() {
        assert_eq!(count(7), "7");
        assert_eq!(count(10_000), "10,000");
        assert_eq!(count(1_234_567), "1,234,567");
    }

    #[test]
    fn history_reads_like_a_dockerfile() {
        assert_eq!(
            dockerfile_line("/bin/sh -c #(nop)  CMD [\"sh\"]"),
            "CMD [\"sh\"]"
        );
        assert_eq!(
            dockerfile_line("/bin/sh -c apk add curl"),
            "RUN apk add curl"
        );
        assert_eq!(
            dockerfile_line("RUN /bin/sh -c make # buildkit"),
            "RUN make"
        );
        assert_eq!(dockerfile_line("COPY . /app"), "COPY . /app");
    }

    #[test]
    fn digests_are_shortened_to_twelve_hex_characters() {
        assert_eq!(short_digest("sha256:0123456789abcdef"), "0123456789ab");
    }
}
