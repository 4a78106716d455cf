"""Offline side of the service: articles -> documents -> chunks -> vectors on disk."""
