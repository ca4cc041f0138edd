from tests.sittings.conftest import room  # noqa: F401  (the room fixture, for these tests too)
