"""Test support shared across test files: the route registry and the two-sided world of the
persona × route matrix (tests/test_route_matrix.py)."""
