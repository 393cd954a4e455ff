"""Helpers with no domain of their own: 和暦 and 年度 (fiscal), people's labels, shared form fields, formula
neutralising for exports, and reading settings from the environment. Every app may import core; core imports
no app of the project."""
