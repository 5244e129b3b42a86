// Starts Swagger UI on /docs from this server's own copy of its bundle (no CDN, no inline script: the page's
// Content-Security-Policy allows only the app's own scripts). "Try it out" requests carry the header the server
// asks of every POST (X-Backprop-Viz-Request, so no foreign page can send them) and the access token the main
// page keeps in this tab's session storage, if any.
window.addEventListener("load", () => {
  let token = "";
  try {
    token = sessionStorage.getItem("backprop-viz-token") || "";
  } catch {
    /* storage switched off */
  }
  window.ui = window.SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    layout: "BaseLayout",
    presets: [window.SwaggerUIBundle.presets.apis],
    requestInterceptor: (request) => {
      request.headers["X-Backprop-Viz-Request"] = "1";
      if (token && !request.headers["X-Backprop-Viz-Token"]) request.headers["X-Backprop-Viz-Token"] = token;
      return request;
    },
  });
});
