// Starts the vendored Swagger UI on /api/v1/docs from the settings the page carries
// (a file, not an inline script, so a Content-Security-Policy without 'unsafe-inline' allows it).
(function () {
  const body = document.querySelector("body").dataset;
  const config = JSON.parse(document.getElementById("swagger-settings").textContent);
  config.dom_id = "#swagger-ui";
  config.presets = [SwaggerUIBundle.presets.apis];
  if (body.apiCsrf && body.csrfToken) {
    // session sign-in: Django wants the CSRF token on writes
    config.requestInterceptor = function (request) {
      request.headers["X-CSRFToken"] = body.csrfToken;
      return request;
    };
  }
  SwaggerUIBundle(config);
})();
