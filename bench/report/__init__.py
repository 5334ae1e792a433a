"""Tables and figures rendered from stored CSVs only (never imports torch: rendering must run anywhere)."""
