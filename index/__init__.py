"""Retrieval over the ward documents: parsing, Japanese tokenization, BM25, abstention."""
