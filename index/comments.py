def extract_comments(document, text):
    return [], text
