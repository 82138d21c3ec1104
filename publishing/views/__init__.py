"""Portal pages, split by subject: pages (home, errors), credentials, upload + submit, batches."""
