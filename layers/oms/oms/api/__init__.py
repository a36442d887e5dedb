"""HTTP edge shared by the functions: resolver factory, auth, request parsing, problem+json."""
