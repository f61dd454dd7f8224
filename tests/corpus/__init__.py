"""Repository trees in the shape of public GitOps repositories (re-typed minimal excerpts, no copied files),
each with every finding the gate must report and nothing else: tests/integration/test_corpus.py runs them."""
