// Progressive enhancement: the page works without this file (a plain GET form).
// With it, changing a facet checkbox or the sort order submits the search at once.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  document.addEventListener("change", function (event) {
    var el = event.target;
    var autoSubmit = (el.type === "checkbox" && el.closest(".facet")) || el.id === "sort";
    if (!autoSubmit || !el.form) return;
    if (el.form.requestSubmit) el.form.requestSubmit(); else el.form.submit();
  });
})();
