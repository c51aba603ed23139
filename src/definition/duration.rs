pub fn parse_duration(s: &str) -> Result<u64, String> { s.parse::<u64>().map(|x| x*1000).map_err(|e| e.to_string()) }
pub fn duration_from_json(v: &serde_json::Value) -> Result<u64, String> { v.as_u64().map(|x| x*1000).ok_or("bad".into()) }
