// Search for static copies of the site: the live site searches on the server, without script.
// Matches every word of ?q= against each paper's id, title and authors from search.json.
// Results are built with textContent: nothing from the data is ever parsed as HTML.
"use strict";
(function () {
  const params = new URLSearchParams(window.location.search);
  const query = (params.get("q") || "").trim().slice(0, 200);
  const status = document.getElementById("search-status");
  const list = document.getElementById("search-results");
  const box = document.getElementById("q");
  if (!status || !list) return;
  if (box) box.value = query;
  if (!query) return;
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  fetch("search.json")
    .then(function (response) {
      if (!response.ok) throw new Error("search.json: HTTP " + response.status);
      return response.json();
    })
    .then(function (papers) {
      const found = papers.filter(function (p) {
        const text = (p.id + " " + p.title + " " + p.authors).toLowerCase();
        return words.every(function (w) { return text.includes(w); });
      }).slice(0, 50);
      status.textContent = (found.length ? found.length + " match" + (found.length === 1 ? "" : "es") : "No match") + " for \u201c" + query + "\u201d.";
      found.forEach(function (p) {
        const item = document.createElement("li");
        const link = document.createElement("a");
        link.href = "../papers/" + p.id + "/";
        link.textContent = p.title;
        const meta = document.createElement("span");
        meta.className = "meta";
        meta.textContent = " " + p.authors + " \u00b7 arXiv:" + p.id;
        item.append(link, meta);
        list.append(item);
      });
    })
    .catch(function (error) {
      status.textContent = "Search is unavailable: " + error.message;
    });
})();
