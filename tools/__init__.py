"""Developer tools that live beside the runtime package `analysis`, outside it, so that editing them never
changes `analysis.derive.study.code_version()` and so never invalidates a cached study."""
