"""ward-faq: the Flask app."""
