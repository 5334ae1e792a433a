"""Workflow planning (torch-free): the DAG of a profile, every output path, and the captions of its tables."""
