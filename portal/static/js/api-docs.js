// Starts Swagger UI on the page's OpenAPI document (kept out of the HTML for the CSP).
(function () {
  var holder = document.getElementById("swagger-ui");
  window.SwaggerUIBundle({ url: holder.dataset.openapiUrl, dom_id: "#swagger-ui" });
})();
