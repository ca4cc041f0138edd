"""Question interchange: read QTI 3.0, QTI 2.1, Moodle XML and GIFT into unit bank files, and
write a unit's live items out as a QTI 3.0 content package."""
