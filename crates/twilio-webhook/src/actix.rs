//! actix-web 4 middleware and extractor (feature `actix`).
