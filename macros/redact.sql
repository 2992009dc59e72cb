{#
  URLs in `text` with user:password@ and secret-looking parameter values (token=, key=, sig=, password= …)
  replaced by ***: the rule of ingest/fetch.py, applied again when reading, for rows written before it.
#}
{% macro redact_urls(text) -%}
  regexp_replace(regexp_replace({{ text }}, '://[^/@?#\s]*@', '://***@', 'g'),
                 '([?&#;][^=&#?\s]*(token|secret|passw(or)?d|pwd|sig(nature)?|key|credentials?|auth(orization)?|session(id)?)=)[^&#\s]*',
                 '\1***', 'gi')
{%- endmacro %}
