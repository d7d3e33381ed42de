from tests.search.conftest import _fast_passwords, _fresh_search_breaker, clean_buffers, index_tutors  # noqa: F401
