// Progressive enhancement: the page works without this file (a plain GET form, links).
// With it: a facet checkbox or the sort order runs the search at once, focus comes back
// to the control that changed, empty fields stay out of the URL, and long facets can be narrowed.
(function () {
  "use strict";
  var FOCUS_KEY = "vnsearch:focus";
  document.documentElement.classList.add("js");

  function remember(id) {
    try { window.sessionStorage.setItem(FOCUS_KEY, id); } catch (e) { /* storage off: focus is lost */ }
  }

  function recall() {
    try {
      var id = window.sessionStorage.getItem(FOCUS_KEY);
      window.sessionStorage.removeItem(FOCUS_KEY);
      return id;
    } catch (e) { return null; }
  }

  function restoreFocus() {
    var id = recall();
    var el = id && document.getElementById(id);
    if (!el) return;
    for (var up = el.parentElement; up; up = up.parentElement) {
      if (up.tagName === "DETAILS") up.open = true;
    }
    el.focus();
  }

  // "Vũng Tàu" and "vung tau" match alike, as filter values do on the server.
  function fold(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/[đĐ]/g, "d").toLowerCase().trim();
  }

  function narrow(input) {
    var facet = input.closest(".facet");
    var term = fold(input.value);
    var more = facet.querySelector("details.facet-more");
    if (more) {
      if (term && !more.hasAttribute("data-was")) more.setAttribute("data-was", more.open ? "open" : "closed");
      if (term) more.open = true;
      else if (more.hasAttribute("data-was")) {
        more.open = more.getAttribute("data-was") === "open";
        more.removeAttribute("data-was");
      }
    }
    var rows = facet.querySelectorAll("li.facet-value");
    for (var i = 0; i < rows.length; i++) {
      var label = rows[i].querySelector(".facet-label");
      rows[i].hidden = !!term && fold(label ? label.textContent : "").indexOf(term) < 0;
    }
  }

  // A facet checkbox follows its link (the search with that one value toggled, back to page 1);
  // the sort box submits the form.
  document.addEventListener("change", function (event) {
    var el = event.target;
    var toggleUrl = el.type === "checkbox" && el.closest(".facet") && el.getAttribute("data-toggle-url");
    if (toggleUrl) {
      remember(el.id);
      window.location.assign(toggleUrl);
    } else if (el.id === "sort" && el.form) {
      remember(el.id);
      if (el.form.requestSubmit) el.form.requestSubmit(); else el.form.submit();
    }
  });

  document.addEventListener("input", function (event) {
    if (event.target.classList && event.target.classList.contains("facet-filter")) narrow(event.target);
  });

  // The URL holds only what was chosen: no "from=&to=", no "sort=" for the default order.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.id !== "search-form" || form.method.toLowerCase() !== "get") return;
    var params = new URLSearchParams();
    new FormData(form).forEach(function (value, name) {
      if (typeof value === "string" && value.trim() !== "") params.append(name, value);
    });
    event.preventDefault();
    var query = params.toString();
    window.location.assign(form.action + (query ? "?" + query : ""));
  });

  document.addEventListener("DOMContentLoaded", function () {
    var filters = document.querySelectorAll(".facet-filter");
    for (var i = 0; i < filters.length; i++) filters[i].hidden = false;
    restoreFocus();
  });
})();
