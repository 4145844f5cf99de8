"""The staff console: review unresolved questions, answer them live, keep the FAQ, watch the KPI."""
