"""Test support shared across test files (a test file never imports another): the sheets,
reports, scenarios, problems and personas the tests build, the form reader, the fake webhook,
the API's operations, and the route registry and two-sided world of the persona × route matrix
(tests/test_route_matrix.py)."""
