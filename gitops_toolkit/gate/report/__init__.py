"""Stage 7: findings reported for people and machines (text, JSON, Markdown, JUnit, Code Quality), and what the
gate could not check said as findings (coverage)."""
