"""The daily inspection record (日巡检记录) and the weekly inspection report, read from the store."""
