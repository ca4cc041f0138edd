"""The awarding body's console: server-rendered pages for staff, by role."""
